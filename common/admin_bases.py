"""What console pages of every app share (the apps' admin modules import it; `common` is
the layer every app may import)."""

from django.contrib import admin


class ServiceWrittenAdmin(admin.ModelAdmin):
    """Rows only the services write: the console reads them, nobody adds, edits or deletes
    them there (its actions, where it has any, call the services)."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
