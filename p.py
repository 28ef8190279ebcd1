import sys, json, re
sys.path.insert(0, '/tmp/fuzztrial-work')
from lib import *
URL = "http://127.0.0.1:18103"
m = Mock(URL)
TB = re.compile(r"Traceback|File \"|Error:|Exception|line \d+, in", re.I)
def show(r, n=300):
    body = r.text if hasattr(r, "text") else r
    flag = " !!TB" if TB.search(body or "") else ""
    print(r.status_code, (body or "")[:n].replace("\n", " "), flag)
    return r
