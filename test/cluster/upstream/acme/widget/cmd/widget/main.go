// Command widget prints the widgets given as name:size arguments.
package main

import (
	"fmt"
	"os"

	"github.com/acme/widget"
)

func main() {
	for _, arg := range os.Args[1:] {
		w, err := widget.Parse(arg)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
		fmt.Println(w)
	}
}
