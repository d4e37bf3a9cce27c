"""Shared by the bench scripts: their options, the host's default path and the --json line."""
import json, os

def default_host():
    """The release build next to this folder: ../.build/release/host."""
    return os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".build", "release", "host")

def option(args, name, default):
    """Removes `name VALUE` from args and returns VALUE, or default when name is absent."""
    if name in args:
        i = args.index(name); value = args[i + 1]; del args[i:i + 2]; return value
    return default

def flag(args, name):
    """Removes `name` from args and says whether it was there."""
    if name in args:
        args.remove(name); return True
    return False

def emit(figures):
    """What --json prints: the figures as one JSON line, the last on stdout (bench/table.py reads it)."""
    print(json.dumps(figures), flush=True)
