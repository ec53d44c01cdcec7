"""Swift v1 object storage: accounts, containers and objects, served at /object-store."""
