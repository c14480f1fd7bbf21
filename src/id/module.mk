# id
