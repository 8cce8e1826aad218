"""Qt widgets of the Segue window (built in code, no generated files)."""
