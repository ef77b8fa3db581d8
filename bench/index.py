chunk = ""
for i in range(100):
    chunk = chunk + "abcdefghij"
s = ""
for i in range(200):
    s = s + chunk
t = s + "é"
count = 0
for i in range(len(s)):
    if s[i] == "e":
        count += 1
for i in range(len(t)):
    if t[i:i + 1] == "e":
        count += 1
print(count)
