let chunk = "";
for (let i = 0; i < 100; i++) chunk = chunk + "abcdefghij";
let s = "";
for (let i = 0; i < 200; i++) s = s + chunk;
const t = s + "é";
let count = 0;
for (let i = 0; i < s.length; i++) if (s[i] === "e") count++;
for (let i = 0; i < t.length; i++) if (t.substring(i, i + 1) === "e") count++;
console.log(count);
