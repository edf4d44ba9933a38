"""The app object every workflow module registers its functions on."""

from stepstream import Stepstream

app = Stepstream(id="stepstream-demo")
