"""End-to-end tests: a real ADK Runner over adk-sqlite, and the quickstart script."""
