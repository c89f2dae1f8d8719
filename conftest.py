# Nameko no longer monkey-patches under plain pytest; it must happen before anything imports
# sockets or threads, so it is the first thing here.
import eventlet

eventlet.monkey_patch()

pytest_plugins = ["servicekit.testing"]
