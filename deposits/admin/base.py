"""What the deposit console's pages share."""

# The page of a console action's form (a pay-in, an adjustment, a disbursement's step).
FORM_TEMPLATE = "deposits/admin/form_page.html"
