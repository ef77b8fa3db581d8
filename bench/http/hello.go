// The Go net/http side of scripts/bench-http.sh.
package main

import (
	"net/http"
	"os"
)

func main() {
	http.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Write([]byte("Hello, world!"))
	})
	http.ListenAndServe("127.0.0.1:"+os.Args[1], nil)
}
