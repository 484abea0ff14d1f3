from django.apps import AppConfig


class DepositClaimsConfig(AppConfig):
    """The project itself: what every app shares at run time."""

    name = "deposit_claims"

    def ready(self):
        from celery.signals import before_task_publish, task_postrun, task_prerun
        from django.contrib.auth.signals import user_logged_in
        from django.core import checks
        from django_fsm.signals import post_transition

        from common import encryption
        from common.middleware import start_staff_session

        from . import runtime_logs

        post_transition.connect(runtime_logs.log_transition, dispatch_uid="log_transition")
        before_task_publish.connect(runtime_logs.stamp_task, dispatch_uid="stamp_task")
        task_prerun.connect(runtime_logs.enter_task, dispatch_uid="enter_task")
        task_postrun.connect(runtime_logs.leave_task, dispatch_uid="leave_task")
        user_logged_in.connect(start_staff_session, dispatch_uid="start_staff_session")
        checks.register(encryption.check_keys, checks.Tags.security)
        checks.register(encryption.check_production_keys, checks.Tags.security, deploy=True)
