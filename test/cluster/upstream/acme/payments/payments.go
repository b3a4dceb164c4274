// Package payments is the stand-in for github.com/acme/payments (examples/fleet-argocd.ts, payments team).
package payments

import (
	"errors"
	"fmt"
)

// Ledger holds account balances in cents.
type Ledger struct{ balances map[string]int }

// NewLedger returns an empty ledger.
func NewLedger() *Ledger { return &Ledger{balances: map[string]int{}} }

// ErrInsufficientFunds is returned by Transfer when the source cannot pay.
var ErrInsufficientFunds = errors.New("insufficient funds")

// Deposit adds cents to an account.
func (l *Ledger) Deposit(account string, cents int) error {
	if cents <= 0 {
		return fmt.Errorf("deposit of %d cents: must be positive", cents)
	}
	l.balances[account] += cents
	return nil
}

// Transfer moves cents between accounts, all or nothing.
func (l *Ledger) Transfer(from, to string, cents int) error {
	if cents <= 0 {
		return fmt.Errorf("transfer of %d cents: must be positive", cents)
	}
	if l.balances[from] < cents {
		return ErrInsufficientFunds
	}
	l.balances[from] -= cents
	l.balances[to] += cents
	return nil
}

// Balance is an account's balance.
func (l *Ledger) Balance(account string) int { return l.balances[account] }
