"""The programs service: the program catalog, Hanamaru classes, consultations and the impact
ledger."""
