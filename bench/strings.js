let total = "";
for (let c = 0; c < 1000; c++) {
  let chunk = "";
  for (let i = 0; i < 1000; i++) chunk = chunk + "ab";
  total = total + chunk;
}
console.log(total.length);
