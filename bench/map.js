const m = new Map();
for (let i = 0; i < 1000000; i++) {
  const w = "w" + ((i * 7919) % 1000);
  const c = m.get(w);
  if (c === undefined) m.set(w, 1); else m.set(w, c + 1);
}
console.log(m.size);
console.log(m.get("w7"));
