s = 0
i = 0
while i < 100000000:
    s += i
    i += 1
print(s)
