"""The study's MCP environment: szagents' agent tools as an MCP server, and agents that use it."""
