// `node --import toolwatch/register server.js`: instrument an unmodified MCP server.
import '@toolwatch/collector/register';
