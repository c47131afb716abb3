"""The growth cycle a person owns: objectives and check-ins, evidence, one-to-ones, coaching,
the CPD record, and the HR feed of objective completions."""
