import sys
sys.setrecursionlimit(10000)
class Node:
    __slots__ = ("left", "right")
    def __init__(self, l, r):
        self.left = l
        self.right = r
    def check(self):
        if self.left is None:
            return 1
        return 1 + self.left.check() + self.right.check()
def make(d):
    if d == 0:
        return Node(None, None)
    return Node(make(d - 1), make(d - 1))
print(make(16).check())
total = 0
for i in range(64):
    total += make(10).check()
print(total)
