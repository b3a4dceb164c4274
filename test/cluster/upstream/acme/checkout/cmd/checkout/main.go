// Command checkout serves the checkout API.
package main

import (
	"flag"
	"log"
	"net/http"
	"time"

	"github.com/acme/checkout"
)

func main() {
	listen := flag.String("listen", ":8080", "address to listen on")
	flag.Parse()
	log.Printf("checkout: listening on %s", *listen)
	srv := &http.Server{Addr: *listen, Handler: checkout.Handler(), ReadHeaderTimeout: 10 * time.Second}
	log.Fatal(srv.ListenAndServe())
}
