words = ["w" + str((i * 7919) % 1000) for i in range(200000)]
parts = " ".join(words).split(" ")
m = {}
for w in parts:
    m[w] = m.get(w, 0) + 1
print(len(m))
print(m["w7"])
