"""How a merchant sees a consumer: enough to recognise an order, nothing more."""


def mask_name(name: str) -> str:
    """张三 → 张*, 欧阳娜娜 → 欧**: the first character, then at most two stars."""
    name = (name or "").strip()
    if not name:
        return "*"
    return name[0] + "*" * min(max(len(name) - 1, 1), 2)


def mask_identifier(identifier: str) -> str:
    """13812341234 → 138****1234; alice@example.com → a***@example.com."""
    if "@" in identifier:
        local, _, domain = identifier.partition("@")
        return f"{local[:1]}***@{domain}"
    if len(identifier) == 11:
        return f"{identifier[:3]}****{identifier[-4:]}"
    return "***"
