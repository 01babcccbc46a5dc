"""Local running: infrastructure, the development mail sink, the process supervisor."""
