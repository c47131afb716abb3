"""Who is related to whom, and who is shut out of which case: the facts the access policy
(`app.domain.access`) decides on, read in SQL, and `load_about_person`, the one way to load a
record about a person and authorise the caller for it."""
