<?php // Example admin entry point.
