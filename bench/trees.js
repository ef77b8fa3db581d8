class Node { constructor(l, r) { this.left = l; this.right = r; }
  check() { return this.left === null ? 1 : 1 + this.left.check() + this.right.check(); } }
function make(d) { return d === 0 ? new Node(null, null) : new Node(make(d - 1), make(d - 1)); }
console.log(make(16).check());
let total = 0;
for (let i = 0; i < 64; i++) total += make(10).check();
console.log(total);
