a = []
for i in range(1000000):
    a.append(i)
for i in range(1000000):
    a[i] = a[i] * 2
s = 0
for i in range(1000000):
    s += a[i]
print(s)
