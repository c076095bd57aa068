"""Post-deployment smoke tests (DEP-02): HTTP checks from the plan, and JUnit results from any runner."""
