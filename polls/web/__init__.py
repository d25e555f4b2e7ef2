"""The HTTP and websocket face of a replica: pages, JSON API, live sockets and health."""
