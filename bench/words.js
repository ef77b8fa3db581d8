const words = [];
for (let i = 0; i < 200000; i++) words.push("w" + ((i * 7919) % 1000));
const parts = words.join(" ").split(" ");
const m = new Map();
for (let i = 0; i < parts.length; i++) { const w = parts[i]; if (m.has(w)) m.set(w, m.get(w) + 1); else m.set(w, 1); }
console.log(m.size);
console.log(m.get("w7"));
