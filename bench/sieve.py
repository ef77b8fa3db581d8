n = 2000000
flags = []
for i in range(n + 1):
    flags.append(True)
count = 0
for i in range(2, n + 1):
    if flags[i]:
        count += 1
        for j in range(i * i, n + 1, i):
            flags[j] = False
print(count)
