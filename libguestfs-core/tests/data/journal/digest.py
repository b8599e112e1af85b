import sys, struct, hashlib, subprocess
args = sys.argv[1:]
data = subprocess.run(["journalctl", "-o", "export"] + args, capture_output=True, check=True).stdout
pos = 0; out = []
cur = None
while pos < len(data):
    nl = data.index(b"\n", pos)
    line = data[pos:nl]; pos = nl + 1
    if line == b"":
        out.append(cur); cur = None; continue
    if cur is None: cur = {"fields": []}
    if b"=" in line:
        k, v = line.split(b"=", 1)
    else:
        k = line; n = struct.unpack("<Q", data[pos:pos+8])[0]; v = data[pos+8:pos+8+n]; pos += 8 + n + 1
    if k == b"__REALTIME_TIMESTAMP": cur["rt"] = int(v)
    elif k == b"_BOOT_ID": cur["boot"] = v.decode()
    elif k.startswith(b"__"): pass
    else: cur["fields"].append((k, v))
if cur: out.append(cur)
for e in out:
    print("entry %d %s" % (e["rt"], e["boot"]))
    for k, v in e["fields"]:
        print("%s %d %s" % (k.decode(), len(v), hashlib.sha256(v).hexdigest()))
