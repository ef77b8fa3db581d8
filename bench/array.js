const a = [];
for (let i = 0; i < 1000000; i++) a.push(i);
for (let i = 0; i < 1000000; i++) a[i] = a[i] * 2;
let s = 0;
for (let i = 0; i < 1000000; i++) s += a[i];
console.log(s);
