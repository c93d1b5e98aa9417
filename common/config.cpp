// placeholder: owner fills this in
