function a(i, j) { return 1.0 / (((i + j) * (i + j + 1)) / 2 + i + 1); }
function mulAv(n, v, out) { for (let i = 0; i < n; i++) { let s = 0; for (let j = 0; j < n; j++) s += a(i, j) * v[j]; out[i] = s; } }
function mulAtv(n, v, out) { for (let i = 0; i < n; i++) { let s = 0; for (let j = 0; j < n; j++) s += a(j, i) * v[j]; out[i] = s; } }
function mulAtAv(n, v, out, tmp) { mulAv(n, v, tmp); mulAtv(n, tmp, out); }
const n = 200;
const u = [], v = [], tmp = [];
for (let i = 0; i < n; i++) { u.push(1.0); v.push(0.0); tmp.push(0.0); }
for (let i = 0; i < 10; i++) { mulAtAv(n, u, v, tmp); mulAtAv(n, v, u, tmp); }
let vbv = 0, vv = 0;
for (let i = 0; i < n; i++) { vbv += u[i] * v[i]; vv += v[i] * v[i]; }
console.log(Math.sqrt(vbv / vv).toFixed(9));
