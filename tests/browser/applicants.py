"""The Family Friend pair the end-to-end and browser tests apply, screen and match: a Nepali
family in Nakano and a Japanese partner in Shinjuku who suit each other."""

RESIDENT = {
    "name": "Maya Gurung", "email": "maya@example.org", "locale": "ne-NP", "area": "nakano",
    "languages": [{"code": "ne", "level": "native"}, {"code": "en", "level": "fluent"}],
    "household_size": 3, "children_ages": [2, 5], "interests": ["cooking", "parks"],
    "slots": ["sat-morning", "sun-afternoon"],
}
PARTNER = {
    "name": "Sato Yuki", "email": "yuki@example.org", "locale": "ja", "area": "shinjuku",
    "gender": "female", "languages": [{"code": "ja", "level": "native"},
                                      {"code": "en", "level": "conversational"}],
    "experience_ages": [3, 6], "interests": ["cooking"], "slots": ["sat-morning"],
}
