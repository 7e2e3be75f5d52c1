"""Local stand-ins: EventBridge emulator, DataWorks API stand-in, webhook receiver, FC-like context."""
