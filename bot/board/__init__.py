"""The 纪委 看板 (issue 24 §3): a read-only web page with one-time login links — the
server (server.py), the view model (view.py), the demo's screenshot (screenshot.py)."""
