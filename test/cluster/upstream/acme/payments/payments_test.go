package payments

import (
	"errors"
	"testing"
)

func TestTransfer(t *testing.T) {
	l := NewLedger()
	if err := l.Deposit("alice", 100); err != nil {
		t.Fatal(err)
	}
	if err := l.Transfer("alice", "bob", 30); err != nil {
		t.Fatal(err)
	}
	if l.Balance("alice") != 70 || l.Balance("bob") != 30 {
		t.Errorf("balances %d/%d, want 70/30", l.Balance("alice"), l.Balance("bob"))
	}
	if err := l.Transfer("bob", "alice", 31); !errors.Is(err, ErrInsufficientFunds) {
		t.Errorf("overdraft: %v", err)
	}
	if l.Balance("bob") != 30 {
		t.Error("a refused transfer changed the balance")
	}
}
