class Shape { constructor(s) { this.size = s; } area() { return 0; } }
class Square extends Shape { area() { return this.size * this.size; } }
class Triangle extends Shape { area() { return Math.trunc(this.size * this.size / 2); } }
const shapes = [];
for (let i = 0; i < 300; i++) shapes.push(i % 2 === 0 ? new Square(i) : new Triangle(i));
let total = 0;
for (let r = 0; r < 10000; r++) for (let i = 0; i < 300; i++) total += shapes[i].area();
console.log(total);
