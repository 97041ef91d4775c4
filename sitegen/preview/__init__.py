"""The preview server's parts (serve.py drives them) and its reload script, live.js."""
