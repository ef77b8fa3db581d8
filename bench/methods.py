class Shape:
    def __init__(self, s): self.size = s
    def area(self): return 0
class Square(Shape):
    def area(self): return self.size * self.size
class Triangle(Shape):
    def area(self): return self.size * self.size // 2
shapes = [Square(i) if i % 2 == 0 else Triangle(i) for i in range(300)]
total = 0
for r in range(10000):
    for i in range(300):
        total += shapes[i].area()
print(total)
