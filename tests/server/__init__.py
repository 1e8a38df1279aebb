"""Route and auth tests of the hall server, against a real uvicorn subprocess."""
