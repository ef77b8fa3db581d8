m = {}
for i in range(1000000):
    w = "w" + str((i * 7919) % 1000)
    c = m.get(w)
    if c is None:
        m[w] = 1
    else:
        m[w] = c + 1
print(len(m))
print(m["w7"])
