import math
def a(i, j): return 1.0 / ((i + j) * (i + j + 1) // 2 + i + 1)
def mul_av(n, v, out):
    for i in range(n):
        out[i] = sum(a(i, j) * v[j] for j in range(n))
def mul_atv(n, v, out):
    for i in range(n):
        out[i] = sum(a(j, i) * v[j] for j in range(n))
n = 200
u = [1.0] * n; v = [0.0] * n; tmp = [0.0] * n
for _ in range(10):
    mul_av(n, u, tmp); mul_atv(n, tmp, v)
    mul_av(n, v, tmp); mul_atv(n, tmp, u)
vbv = sum(u[i] * v[i] for i in range(n)); vv = sum(v[i] * v[i] for i in range(n))
print("%.9f" % math.sqrt(vbv / vv))
