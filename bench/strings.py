total = ""
for c in range(1000):
    chunk = ""
    for i in range(1000):
        chunk = chunk + "ab"
    total = total + chunk
print(len(total))
