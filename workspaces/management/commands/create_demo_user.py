import logging

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand

logger = logging.getLogger(__name__)


class Command(BaseCommand):
    help = "Create (or reset) the demo user that the run command prints."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--email", default="demo@harvestdash.local")
        parser.add_argument("--password", default="harvest-demo")

    def handle(self, *args, email: str, password: str, **options) -> None:
        from allauth.account.models import EmailAddress

        users = get_user_model()
        user = users.objects.filter(email__iexact=email).first()
        if user is None:
            user = users.objects.create_user(
                username=email, email=email, password=password, first_name="Demo"
            )
            logger.info("demo user created user=%s", user.pk)
        else:
            user.set_password(password)
            user.save(update_fields=["password"])

        # Mark the address verified so allauth does not ask the demo user to confirm.
        EmailAddress.objects.update_or_create(
            user=user, email=email, defaults={"verified": True, "primary": True}
        )
        self.stdout.write(f"Demo user: {email} / {password}")
