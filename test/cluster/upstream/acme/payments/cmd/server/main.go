// Command server serves account balances: GET /balance?account=<name>.
package main

import (
	"flag"
	"fmt"
	"log"
	"net/http"
	"time"

	"github.com/acme/payments"
)

func main() {
	listen := flag.String("listen", ":8080", "address to listen on")
	flag.Parse()
	ledger := payments.NewLedger()
	_ = ledger.Deposit("demo", 1000)
	mux := http.NewServeMux()
	mux.HandleFunc("/balance", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintln(w, ledger.Balance(r.URL.Query().Get("account")))
	})
	log.Printf("payments: listening on %s", *listen)
	srv := &http.Server{Addr: *listen, Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	log.Fatal(srv.ListenAndServe())
}
