"""Logs a benchmark's account in and prints a new API token for it.

    python3 bench/api_token.py PORT USERNAME PASSWORD TOKEN_NAME
"""
import http.client
import json
import sys

port, username, password, name = sys.argv[1:5]
connection = http.client.HTTPConnection("127.0.0.1", int(port))
connection.request("POST", "/api/auth/login", json.dumps({"username": username, "password": password}),
                   {"Content-Type": "application/json"})
response = connection.getresponse()
response.read()
cookie = response.getheader("Set-Cookie").split(";")[0]
connection.request("POST", "/api/auth/tokens", json.dumps({"name": name}),
                   {"Content-Type": "application/json", "Cookie": cookie})
print(json.loads(connection.getresponse().read())["token"])
