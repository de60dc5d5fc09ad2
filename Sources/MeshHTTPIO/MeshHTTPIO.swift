// MeshHTTPIO: HTTP/1.1 servers and clients on MeshIO event loops.
